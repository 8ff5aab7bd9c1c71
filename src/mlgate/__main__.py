from mlgate.cli import main

raise SystemExit(main())
