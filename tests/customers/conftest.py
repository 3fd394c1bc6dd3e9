"""A customer with an email and a phone, files to import, and API tokens with given scopes."""

import csv
import io

import openpyxl
import pytest
from django.test import Client

from comptoir.agents.tokens import create_api_token
from comptoir.customers.models import Customer, Identity

EMAIL = "jeanne.martin@example.fr"
PHONE = "+33612345678"


@pytest.fixture
def customer(db) -> Customer:
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin", language="fr")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=EMAIL)
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    return customer


def csv_file(rows: list[list[str]], delimiter: str = ";") -> io.BytesIO:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8"))


def xlsx_file(rows: list[list[object]]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


class ApiClient:
    """The Django test client with a bearer token on every request."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, data: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, data, content_type="application/json", headers=self.headers)

    def patch(self, path: str, data: object):  # type: ignore[no-untyped-def]
        return self.client.patch(path, data, content_type="application/json", headers=self.headers)

    def delete(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def api_as(db):
    def make(*scopes: str) -> ApiClient:
        return ApiClient(create_api_token(name="boutique", scopes=list(scopes)).secret)

    return make
