"""REST API v1: rewards endpoints."""

from ninja import Router

router = Router()
