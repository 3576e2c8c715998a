"""REST API v1: club endpoints."""

from ninja import Router

router = Router()
