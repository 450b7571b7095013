"""gettext catalogs per language under `locales/<lang>/LC_MESSAGES/`, with Babel formatting helpers."""
