"""Find what is wrong with a Python virtual environment and repair it to match its lockfile."""

__version__ = "0.1.0"
