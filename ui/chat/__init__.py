"""The Streamlit web app: the chat page, the overview page, and what they share."""
