from mlgate.cli import entry

entry()
