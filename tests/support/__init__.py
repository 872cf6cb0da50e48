"""Test support: real wheels built from plain data, a local index, and tool runners."""
