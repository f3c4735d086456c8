"""The staff studio: see, test and fix the content in a browser (``entraide studio``).

It reads the content through :func:`bot.validation.validate` and runs the real engine on it;
it never writes a file, opens no database and never talks to Telegram. The same pages are
written as plain files by ``entraide preview`` (:mod:`bot.studio.site`).

- :mod:`.markup`: the only way HTML is made here (everything is escaped);
- :mod:`.bubbles`: engine replies as Telegram-like bubbles and buttons;
- :mod:`.diagram`: one Mermaid diagram per flow (``entraide map``);
- :mod:`.tables`: freshness of the resources and coverage of the departments;
- :mod:`.scenario_runs`: the staff scenarios, run with their transcript;
- :mod:`.workspace`: the content as it is on disk now, and the last valid one;
- :mod:`.pages`: the pages, from the templates in ``templates/``;
- :mod:`.conversation`: one preview turn; :mod:`.site`: the static pages;
- :mod:`.server`: the local web server (tornado, 127.0.0.1).
"""
