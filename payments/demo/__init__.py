"""The demo province: generated people and whole months run end to end through the simulators."""
