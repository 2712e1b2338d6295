"""Pure notification rules: preferences, retry policy, delivery outcomes. No framework imports."""
