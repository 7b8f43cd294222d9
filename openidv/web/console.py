"""Placeholder: being written (see issue). install() adds this part's routes to the app."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    return None
