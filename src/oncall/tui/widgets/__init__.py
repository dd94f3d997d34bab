"""Reusable console widgets. They paint what they are given and post messages; they never
touch the database or the network."""
