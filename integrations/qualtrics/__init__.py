"""Directories and invitations in the manner of Qualtrics: the job "add to directory" keeps
the contacts an event describes, with their data; the job "distribute invitation" sends each
contact a personal survey link whose signed token (integrations.common.invitations) names
the contact when the answer comes back."""
