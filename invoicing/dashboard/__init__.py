"""The HQ dashboard: day figures written by the pipeline, read by the screens."""
