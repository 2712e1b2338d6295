"""Fault tests: real processes killed with SIGKILL, a broker restarted; nothing lost or duplicated."""
