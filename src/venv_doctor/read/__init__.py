"""Reading a venv without changing it.

Its layout, installed distributions, RECORDs, files, interpreter, and the journals
of unfinished transactions.
"""
