"""The help widget: one script tag puts search, suggested articles and the contact channels on a shop's pages.

``suggestions`` reads the editors' ``widget.yml`` (no web here, so the
checker and start-up share it); ``views`` serves the script and its
stylesheet, and gives the API the widget's words and the contact channels.
The widget reads everything else through the API (``kb.api``).
"""
