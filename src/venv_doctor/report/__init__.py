"""Turning a check's result into what a person or a program reads."""
