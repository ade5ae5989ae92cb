"""The e-mail channel: an SMTP listener behind the organisation's relay, a parser of raw
RFC 5322 mail shared by the listener and the adapter, and a sending adapter to the relay."""
