"""REST API v1: badges, challenges and contests; scope `engage`."""

from ninja import Router

router = Router()
