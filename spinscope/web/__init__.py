"""The web app and HTTP API (:func:`spinscope.web.app.create_app`), its request models, connection
guard and limits, the corpus dashboard (:mod:`.dashboard`, with its charts and page shell) and the
page templates."""


def __getattr__(name):  # create_app without importing the app for the command line's limits
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
