"""The admin pages of every integration: importing each integration's admin module
registers its pages."""

from integrations.activecampaign import admin as activecampaign_admin  # noqa: F401
from integrations.common import admin as common_admin  # noqa: F401
from integrations.salesforce import admin as salesforce_admin  # noqa: F401
from integrations.webhooks import admin as webhooks_admin  # noqa: F401
