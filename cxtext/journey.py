"""The seven customer-journey stages, in journey order: the one definition every room uses
(taxonomy validation, the schema's documentation, the report's colours, the sample generator)."""

JOURNEY_STAGES: tuple[str, ...] = (
    "awareness",
    "consideration",
    "purchase",
    "onboarding",
    "usage",
    "support",
    "loyalty",
)
