import os
import time

import psycopg2
import requests
from flask import Flask

app = Flask(__name__)


def get_db_connection():
    while True:
        try:
            return psycopg2.connect(
                host=os.environ.get("POSTGRES_HOST", "db"),
                database=os.environ.get("POSTGRES_DB", "visits"),
                user=os.environ.get("POSTGRES_USER", "postgres"),
                password=os.environ.get("POSTGRES_PASSWORD", "postgres"),
            )
        except psycopg2.OperationalError:
            print("Database not ready, retrying in 2 seconds...")
            time.sleep(2)


@app.route("/")
def hello():
    api_message = requests.get("http://api:5001").text
    conn = get_db_connection()
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS visits (id SERIAL PRIMARY KEY, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
    )
    cur.execute("INSERT INTO visits DEFAULT VALUES")
    conn.commit()
    cur.execute("SELECT * FROM visits")
    visits = cur.fetchall()
    cur.close()
    conn.close()
    return f"<h1>Hello from the webapp container!</h1><p>API says: {api_message}</p><p>Visits: {visits}</p>"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
