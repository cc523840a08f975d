"""The chassis every service unpacks into its class: its database is the one the service names."""

from services.common.base import chassis


def test_the_chassis_connects_to_the_database_it_is_given():
    db, *_ = chassis("cadre_nomination")
    assert db.db_name == "cadre_nomination"
