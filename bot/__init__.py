"""The edge of the product: the aiohttp app, WhatsApp, the inbound queue and workers, the console and the CLI."""
