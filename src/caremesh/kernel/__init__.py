"""The shared kernel: what every module stands on. It never imports a module."""
