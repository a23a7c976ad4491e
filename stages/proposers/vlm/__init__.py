"""The VLM proposer: any OpenAI-compatible chat endpoint through the `openai` client."""
