"""REST API v1: surveys and their results (DESIGN), reviews; scope `engage`."""

from ninja import Router

router = Router()
