"""The Textual console: app, screens, widgets and styles. The only package that imports Textual."""
