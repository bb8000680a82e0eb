"""Everything that talks to the AWS emulator: clients, deploy, events, browsing."""
