FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings but no real secrets; the throwaway values never reach a running container.
RUN DJANGO_SETTINGS_MODULE=marketing_portal.settings.local SECRET_KEY=build FIELD_ENCRYPTION_KEYS=b:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    BLIND_INDEX_KEY=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= python manage.py collectstatic --no-input
RUN useradd --create-home portal && mkdir -p /app/var/private && chown -R portal /app/var
USER portal
EXPOSE 8000
