"""mlgate: CI-native MLOps for GitHub Actions."""

__version__ = "0.1.0"
