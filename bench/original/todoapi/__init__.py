# LOCAL: Django 2.2 uses an app's AppConfig only when named here.
default_app_config = 'todoapi.apps.TodoapiConfig'
