import os

from flask import Flask, session
from markupsafe import escape

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]  # flaskCodec's secretKey


@app.get("/")
def index():
    user = session.get("_user_id")  # tessera's session.userId, set by signIn
    return f"Hello {escape(user)}!" if user else ("Not signed in", 401)
