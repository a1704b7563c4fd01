"""Text analysis: spaCy pipeline, language, sentiment, taxonomy tagging, topic models. Pure: no storage."""
