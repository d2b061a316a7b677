"""Records and progress: pure modules (records, trends, exercises), their SQL (store) and what each route reports."""
