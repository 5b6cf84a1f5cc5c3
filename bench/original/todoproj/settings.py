# The tutorial's django/todoproj/settings.py at tag v1.11 (MIT:
# LICENSE.original), reduced to what its API uses, for `make bench-compare`.
# What differs from the original, and why:
# - The public key: the original reads `x5c[0]` (a certificate) from the
#   tenant's JWKS at start; here the key set is todoapi's own development
#   issuer on loopback (BENCH_JWKS_URL), whose keys carry n and e only, so
#   the key is built from those. Same key, same RS256 verification per request.
# - JWT_ISSUER / JWT_AUDIENCE come from the environment (that issuer's).
# - No django-cors-headers (2.4.0 fails on Python 3.10+) and no admin URL;
#   every other app and middleware of the original is kept, in its order.
# - DEBUG off (the original had it on), SQLite at BENCH_DB.
import json
import os
from urllib import request

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
import base64

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = ')$6ehykx5%u)j0!(p^qi%w-ws0i13_s%x#1e3k43%jm=zxsd%a'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'rest_framework',
    'rest_framework_jwt',
    'todoapi',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
]

ROOT_URLCONF = 'todoproj.urls'
TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'DIRS': [],
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.debug',
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
            ],
        },
    },
]
STATIC_URL = '/static/'
WSGI_APPLICATION = 'todoproj.wsgi.application'

# LOCAL: which tag to behave as, 'v1.11' (the default) or 'v1.14' (tasks
# owned by the token's sub), for tests/original/ on a database of either.
ORIGINAL_VERSION = os.environ.get('ORIGINAL_VERSION') or 'v1.11'

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.sqlite3',
        'NAME': os.environ.get('BENCH_DB', os.path.join(BASE_DIR, 'db.sqlite3')),
    }
}
# LOCAL: BENCH_PG_URL=postgres://user@host:port/name, the original's own engine.
if os.environ.get('BENCH_PG_URL'):
    from urllib.parse import urlsplit
    _pg = urlsplit(os.environ['BENCH_PG_URL'])
    DATABASES['default'] = {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': _pg.path.lstrip('/'),
        'USER': _pg.username or 'postgres',
        'PASSWORD': _pg.password or '',
        'HOST': _pg.hostname or '127.0.0.1',
        'PORT': _pg.port or 5432,
    }

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = True
USE_L10N = True
USE_TZ = True

REST_FRAMEWORK = {
    'DEFAULT_PERMISSION_CLASSES': (
        'rest_framework.permissions.IsAuthenticated', # All views have this permission active (unless overwritten).
    ),
    'DEFAULT_AUTHENTICATION_CLASSES': (
       'rest_framework_jwt.authentication.JSONWebTokenAuthentication',
    ),
}


def jwt_get_username_from_payload_handler(payload):
    return 'auth0user'


def _b64(value):
    return int.from_bytes(base64.urlsafe_b64decode(value + '=' * (-len(value) % 4)), 'big')


PUBLIC_KEY = None
JWKS_URL = os.environ.get('BENCH_JWKS_URL')
if JWKS_URL:
    jwks = json.loads(request.urlopen(JWKS_URL).read().decode('utf-8'))
    key = jwks['keys'][0]
    PUBLIC_KEY = RSAPublicNumbers(_b64(key['e']), _b64(key['n'])).public_key(default_backend())

JWT_AUTH = {
    'JWT_PAYLOAD_GET_USERNAME_HANDLER': jwt_get_username_from_payload_handler,
    'JWT_PUBLIC_KEY': PUBLIC_KEY,
    'JWT_ALGORITHM': 'RS256',
    'JWT_AUDIENCE': os.environ.get('BENCH_AUDIENCE'),
    'JWT_ISSUER': os.environ.get('BENCH_ISSUER'),
    'JWT_AUTH_HEADER_PREFIX': 'Bearer',
}
