"""WSGI entry point: `flask --app wsgi ...` and production servers import `app` from here."""

from app import create_app

app = create_app()
