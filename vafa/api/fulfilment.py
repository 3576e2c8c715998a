"""REST API v1: shipments of physical rewards; scope `rewards`."""

from ninja import Router

router = Router()
