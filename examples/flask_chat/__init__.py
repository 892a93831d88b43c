"""A small Flask chat served by greensio: see app.py."""
