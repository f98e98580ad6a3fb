//! The expacti approval server (SPEC §8). Not built yet: see the open issues.
