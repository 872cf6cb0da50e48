"""The flows of the commands beneath the command line: check, fix, scan, undo, trash."""
