"""factory-boy factories for the domain: valid PHNs, real seeded geography."""

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from patients.models import Patient, Registration
from providers.models import Clinic, Provider
from registries.models import Community
from registries.phn import make_phn

_serials = itertools.count(10_000_000)


def valid_phns(n: int, start: int) -> list[str]:
    """The first `n` valid PHNs from serial `start` on (serials without a check digit skipped)."""
    out, serial = [], start
    while len(out) < n:
        phn = make_phn(serial)
        serial += 1
        if phn:
            out.append(phn)
    return out


def next_phn() -> str:
    while True:
        phn = make_phn(next(_serials))
        if phn:
            return phn


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


def community(name: str = "Kamloops") -> Community:
    return Community.objects.select_related("division").get(name=name)


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Riverside Family Practice {n}")
    community = factory.LazyFunction(community)
    address = "123 Main Street"
    phone = "250-555-0100"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    kind = Provider.Kind.FP
    practitioner_number = factory.Sequence(lambda n: f"{10000 + n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    gender = "F"
    languages = factory.LazyFunction(lambda: ["en"])
    accepting = True
    open_capacity = 0

    @factory.post_generation
    def clinic(self, create, extracted, **kwargs):
        if create and extracted:
            self.clinics.add(extracted)
            self.communities.add(extracted.community)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    community = factory.LazyFunction(community)
    division = factory.LazyAttribute(lambda r: r.community.division)
    phone = "250-555-0199"
    email = factory.Sequence(lambda n: f"household{n}@example.org")
    languages = factory.LazyFunction(lambda: ["en"])
    registered_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    consent_at = factory.LazyFunction(timezone.now)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    phn = factory.LazyFunction(next_phn)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1980, 5, 17)


def household(size: int = 1, **registration_fields) -> Registration:
    """A registration with `size` members, the first the primary contact."""
    registration = RegistrationFactory(household_size=size, **registration_fields)
    for i in range(size):
        PatientFactory(registration=registration, is_primary_contact=(i == 0))
    return registration
