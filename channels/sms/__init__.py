"""The SMS channel over Twilio: signed webhooks in, REST API out."""
