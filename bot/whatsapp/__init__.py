"""WhatsApp's Cloud API: the webhook, its payload models and the events they become, the messages we build
(within WhatsApp's limits), and the client that sends them."""
