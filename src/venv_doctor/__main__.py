"""``python -m venv_doctor`` runs the same command line as ``venv-doctor``."""

from venv_doctor.cli import main

if __name__ == "__main__":
    main()
