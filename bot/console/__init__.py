"""The operator console under `/console`: sign-in, conversations, transcripts, take over, reply, release."""
