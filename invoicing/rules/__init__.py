"""The tax rules of RULES.md as plain functions (no Django models), used by forms, API and pipeline."""
