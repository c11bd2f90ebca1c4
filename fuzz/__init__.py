"""Coverage-guided fuzz harnesses (atheris): one per parser a card or an upload can reach."""
