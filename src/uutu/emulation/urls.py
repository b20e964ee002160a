app_name = "emulation"
urlpatterns = []
