"""Static N+1 and ORM anti-pattern analysis for Django projects."""
