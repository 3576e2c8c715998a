"""Outgoing webhooks (Standard Webhooks): the club's and partners' endpoints, told of what
happened (a purchase, a tier change, ...) by a signed POST, retried for about three days."""
